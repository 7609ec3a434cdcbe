#!/bin/sh
# One-shot MinIO setup, safe to re-run: bucket, lifecycle rule for expired uploads, the application's scoped key.
set -eu
mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing "local/$BUCKET"
# Versioning lets an operator undo an accidental delete during the week (old versions expire below).
mc version enable "local/$BUCKET"
sed -e "s/UPLOAD_EXPIRY_DAYS/$UPLOAD_EXPIRY_DAYS/" /init/lifecycle.json > /tmp/lifecycle.json
mc ilm import "local/$BUCKET" < /tmp/lifecycle.json
sed -e "s/BUCKET/$BUCKET/g" /init/app-policy.json > /tmp/app-policy.json
mc admin policy create local mediadesk-app /tmp/app-policy.json
if ! mc admin user info local "$APP_ACCESS_KEY" >/dev/null 2>&1; then
  mc admin user add local "$APP_ACCESS_KEY" "$APP_SECRET_KEY"
fi
mc admin policy attach local mediadesk-app --user "$APP_ACCESS_KEY" 2>/dev/null || true  # already attached
echo "minio-init: bucket $BUCKET, lifecycle and key $APP_ACCESS_KEY ready"
