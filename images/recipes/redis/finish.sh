# Run by images/tools/catalog.ts on the host, in the configured tree (paths
# relative): the working directory and volume redis saves its dump in.
set -eu
uid=$(awk -F: '$1 == "redis" { print $3 }' etc/passwd)
gid=$(awk -F: '$1 == "redis" { print $3 }' etc/group)
mkdir -p data
chown "$uid:$gid" data
chmod 755 data
