# Run by images/tools/catalog.ts on the host, in the configured tree (paths
# relative): what the entrypoint expects, as Docker Hub's postgres image has it.
set -eu
uid=$(awk -F: '$1 == "postgres" { print $3 }' etc/passwd)
gid=$(awk -F: '$1 == "postgres" { print $3 }' etc/group)
# (var/run links to /run, absolute: on the host it would be the host's)
mkdir -p docker-entrypoint-initdb.d var/lib/postgresql/data run/postgresql
chown "$uid:$gid" var/lib/postgresql var/lib/postgresql/data run/postgresql
chmod 1777 var/lib/postgresql/data
chmod 3777 run/postgresql
# what initdb writes into every new cluster's postgresql.conf: reachable
# from other containers, and sized for the guest (128 MB of RAM for
# everything; volumes share a tmpfs of a quarter of it)
sample=usr/share/postgresql/15/postgresql.conf.sample
sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "$sample"
grep -q "^listen_addresses = '\*'" "$sample"
cat >>"$sample" <<'CONF'

# Dockyard: small defaults for a 128 MB guest
shared_buffers = 16MB
max_wal_size = 16MB
min_wal_size = 4MB
CONF
