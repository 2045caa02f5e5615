#!/bin/sh
# Dockyard's redis entrypoint (written for Debian's redis-server): what
# Docker Hub's redis image does when it starts.
set -e

# `docker run redis --port 7000` and `docker run redis /path/redis.conf` mean redis-server
case "$1" in
	-*|*.conf) set -- redis-server "$@" ;;
esac

if [ "$1" = redis-server ]; then
	if [ "$(id -u)" = 0 ]; then
		# the dump belongs to redis, also in a volume that root made
		find . \! -user redis -exec chown redis:redis '{}' +
		exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
	fi
	# Docker Hub builds redis with protected mode off by default (the
	# container's network is the boundary); Debian's binary has it on, so
	# turn it off unless a config file or the command line says otherwise
	case " $* " in
		*" --protected-mode "*) ;;
		*) if [ -z "$2" ] || [ "${2#-}" != "$2" ]; then set -- "$@" --protected-mode no; fi ;;
	esac
	umask 0077
fi

exec "$@"
