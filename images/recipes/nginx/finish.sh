# Run by images/tools/catalog.ts on the host, in the configured tree (paths
# relative): Debian's nginx laid out as Docker Hub's nginx image.
set -eu
# logs to the container's stdout and stderr (`docker logs`)
rm -f var/log/nginx/access.log var/log/nginx/error.log
ln -s /dev/stdout var/log/nginx/access.log
ln -s /dev/stderr var/log/nginx/error.log
# conf.d/default.conf is the site; Debian's sites-enabled/default (/var/www/html) is not enabled
rm -f etc/nginx/sites-enabled/default
