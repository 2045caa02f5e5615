// Every docker command Dockyard has: one definition serves its short and
// management spellings, its --help, its completion. A new verb is a new file
// in this directory and one line here.
import type { CommandDef } from '../command.js';
import { commit, diff } from './commit.js';
import { exec } from './exec.js';
import { history } from './history.js';
import { images } from './images.js';
import { info, version } from './info.js';
import { containerInspect, imageInspect, inspect } from './inspect.js';
import { kill, rm, stop } from './lifecycle.js';
import { load, save } from './loadsave.js';
import { logs } from './logs.js';
import { imagePrune } from './prune.js';
import { ps } from './ps.js';
import { login, logout } from './login.js';
import { pull } from './pull.js';
import { push } from './push.js';
import { rmi } from './rmi.js';
import { search } from './search.js';
import { run } from './run.js';
import { systemDf } from './system.js';
import { tag } from './tag.js';
import { volumeLs, volumeRm } from './volume.js';

export const COMMANDS: readonly CommandDef[] = [
  run,
  exec,
  ps,
  images,
  pull,
  push,
  login,
  logout,
  search,
  rmi,
  tag,
  rm,
  stop,
  kill,
  logs,
  load,
  save,
  info,
  version,
  inspect,
  imageInspect,
  containerInspect,
  history,
  commit,
  diff,
  imagePrune,
  systemDf,
  volumeLs,
  volumeRm,
];
