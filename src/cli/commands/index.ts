// Every docker command Dockyard has: one definition serves its short and
// management spellings, its --help, its completion. A new verb is a new file
// in this directory and one line here.
import type { CommandDef } from '../command.js';
import { build } from './build.js';
import { builderPrune } from './builder.js';
import { commit, diff } from './commit.js';
import { cp, exportCmd, importCmd } from './cp.js';
import { exec } from './exec.js';
import { history } from './history.js';
import { images } from './images.js';
import { info, version } from './info.js';
import { containerInspect, imageInspect, inspect } from './inspect.js';
import { kill, rm, stop } from './lifecycle.js';
import { load, save } from './loadsave.js';
import { logs } from './logs.js';
import { containerPrune, imagePrune, systemPrune } from './prune.js';
import { networkConnect, networkCreate, networkDisconnect, networkInspect, networkLs, networkPrune, networkRm, port } from './network.js';
import { ps } from './ps.js';
import { login, logout } from './login.js';
import { pull } from './pull.js';
import { push } from './push.js';
import { rmi } from './rmi.js';
import { search } from './search.js';
import { create, run } from './run.js';
import { attach, restart, start, wait } from './start.js';
import { systemDf } from './system.js';
import { tag } from './tag.js';
import { volumeCreate, volumeInspect, volumeLs, volumePrune, volumeRm } from './volume.js';
import { pause, unpause } from './pause.js';
import { rename } from './rename.js';
import { stats } from './stats.js';
import { top } from './top.js';

export const COMMANDS: readonly CommandDef[] = [
  run,
  create,
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
  build,
  builderPrune,
  commit,
  diff,
  cp,
  exportCmd,
  importCmd,
  imagePrune,
  systemDf,
  volumeLs,
  volumeRm,
  volumePrune,
  start,
  restart,
  wait,
  attach,
  containerPrune,
  systemPrune,
  pause,
  unpause,
  rename,
  top,
  stats,
  volumeCreate,
  volumeInspect,
  networkCreate,
  networkLs,
  networkInspect,
  networkRm,
  networkConnect,
  networkDisconnect,
  networkPrune,
  port,
];
