-- Changing the recording retention deletes recordings, so it needs calls:delete_recordings besides
-- callcenter:edit (finding 16). Owners and administrators hold every permission on a fresh
-- installation; installations made before get it on those built-in roles too. Nobody else does.
UPDATE "roles" SET "permissions" = array_append("permissions", 'calls:delete_recordings')
  WHERE "builtin_key" IN ('owner', 'admin') AND NOT ('calls:delete_recordings' = ANY("permissions"));
