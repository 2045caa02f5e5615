#!/bin/bash
# Dockyard's postgres entrypoint, written for Debian's postgresql-15: the
# contract of Docker Hub's postgres image. On the first start (no
# $PGDATA/PG_VERSION) it makes the cluster with initdb: superuser
# POSTGRES_USER (postgres) with password POSTGRES_PASSWORD, database
# POSTGRES_DB (the user's name), POSTGRES_INITDB_ARGS, connections from
# other hosts authenticated by POSTGRES_HOST_AUTH_METHOD (scram-sha-256),
# then the files in /docker-entrypoint-initdb.d (*.sh, *.sql, *.sql.gz);
# VAR_FILE reads VAR from a file (secrets). Refuses to make a cluster
# without a password, unless the method is trust.
set -Eeuo pipefail

# VAR from $VAR, else from the file $VAR_FILE, else DEFAULT
env_or_file() {
	local name=$1 default=${2:-} file_name="${1}_FILE"
	local value=${!name:-} file=${!file_name:-}
	if [ -n "$value" ] && [ -n "$file" ]; then
		echo >&2 "error: both $name and $file_name are set (but are exclusive)"
		exit 1
	fi
	if [ -n "$file" ]; then value=$(<"$file"); fi
	export "$name=${value:-$default}"
	unset "$file_name"
}

# `docker run postgres -c work_mem=8MB` means the server with those options
if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi
if [ "$1" != postgres ]; then exec "$@"; fi
# `postgres --version`, `--help`, `-C setting`, `--describe-config` only print: no cluster needed
for arg; do
	case "$arg" in -V|--version|-'?'|--help|--describe-config|-C) exec "$@" ;; esac
done

export PGDATA=${PGDATA:-/var/lib/postgresql/data}

if [ "$(id -u)" = 0 ]; then
	# a fresh volume is root's: the data directory must be postgres's, 0700
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres /var/run/postgresql
	chmod 3777 /var/run/postgresql
	find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
	chmod 700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	env_or_file POSTGRES_PASSWORD
	env_or_file POSTGRES_USER postgres
	env_or_file POSTGRES_DB "$POSTGRES_USER"
	env_or_file POSTGRES_INITDB_ARGS
	auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}

	if [ -z "$POSTGRES_PASSWORD" ] && [ "$auth" != trust ]; then
		# word for word the official image's message: what learners search for
		cat >&2 <<-'MSG'
		Error: Database is uninitialized and superuser password is not specified.
		       You must specify POSTGRES_PASSWORD to a non-empty value for the
		       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

		       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
		       connections without a password. This is *not* recommended.

		       See PostgreSQL documentation about "trust":
		       https://www.postgresql.org/docs/current/auth-trust.html
		MSG
		exit 1
	fi
	if [ "$auth" = trust ]; then
		echo >&2 'WARNING: POSTGRES_HOST_AUTH_METHOD is "trust": anyone who can reach this server connects as any user, without a password.'
	fi

	mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
	# 1 MB WAL segments, not 16: a fresh cluster must fit the guest's memory
	# (POSTGRES_INITDB_ARGS, after this, may say otherwise)
	initdb_args=(--username="$POSTGRES_USER" --wal-segsize=1)
	# (a file only postgres reads, not <(…): that needs /dev/fd)
	pwfile=
	if [ -n "$POSTGRES_PASSWORD" ]; then
		pwfile=$(mktemp)
		printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
		initdb_args+=(--pwfile="$pwfile")
	fi
	if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then initdb_args+=(--waldir="$POSTGRES_INITDB_WALDIR"); fi
	# POSTGRES_INITDB_ARGS is words, as a shell splits them
	eval "initdb_args+=($POSTGRES_INITDB_ARGS)"
	initdb "${initdb_args[@]}"
	if [ -n "$pwfile" ]; then rm -f "$pwfile"; fi
	printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

	# a server only this script reaches (a Unix socket, no TCP) for the database and the init files
	pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start
	sql() { PGPASSWORD=$POSTGRES_PASSWORD psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" "$@"; }
	if [ "$POSTGRES_DB" != postgres ]; then
		sql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
	fi
	for f in /docker-entrypoint-initdb.d/*; do
		[ -e "$f" ] || continue
		case "$f" in
			*.sh) echo "$0: running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
			*.sql) echo "$0: running $f"; sql --dbname "$POSTGRES_DB" -f "$f" ;;
			*.sql.gz) echo "$0: running $f"; gunzip -c "$f" | sql --dbname "$POSTGRES_DB" ;;
			*) echo "$0: ignoring $f" ;;
		esac
	done
	pg_ctl -D "$PGDATA" -m fast -w stop
	echo
	echo 'PostgreSQL init process complete; ready for start up.'
	echo
fi

exec "$@"
