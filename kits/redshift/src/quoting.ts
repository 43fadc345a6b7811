/** `"name"`: double quotes, embedded ones doubled (Redshift folds the name to lower case unless configured not to). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A string constant: single quotes doubled. Backslashes and NUL are refused: whether Redshift reads a backslash in a
 * constant as an escape depends on the statement (COPY's DELIMITER '\t' does), so the connectors never write one.
 */
export function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new Error('a SQL literal cannot hold a NUL character');
  if (text.includes('\\')) throw new Error('a Redshift SQL literal written by mage-int cannot hold a backslash');
  return `'${text.replace(/'/g, "''")}'`;
}

/** How COPY or UNLOAD proves it may use the bucket: an IAM role of the cluster, or access keys. */
export type S3Authorization = { iamRole: string } | { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** The authorization clause of COPY and UNLOAD (docs: Authorization parameters): `IAM_ROLE '…'` or the access keys. */
export function authorizationClause(auth: S3Authorization): string {
  if ('iamRole' in auth) return `IAM_ROLE ${quoteLiteral(auth.iamRole)}`;
  return `ACCESS_KEY_ID ${quoteLiteral(auth.accessKeyId)} SECRET_ACCESS_KEY ${quoteLiteral(auth.secretAccessKey)}${auth.sessionToken ? ` SESSION_TOKEN ${quoteLiteral(auth.sessionToken)}` : ''}`;
}

/** The same clause with the keys masked, for logs and statement lists (a role's ARN is no secret). */
export function maskedAuthorizationClause(auth: S3Authorization): string {
  return 'iamRole' in auth ? authorizationClause(auth) : "ACCESS_KEY_ID '…' SECRET_ACCESS_KEY '…'";
}

/** The authorization from a config's role or keys, or undefined when it has neither. */
export function s3Authorization(settings: {
  iam_role?: string;
  aws_access_key_id?: string;
  aws_secret_access_key?: string;
  aws_session_token?: string;
}): S3Authorization | undefined {
  if (settings.iam_role) return { iamRole: settings.iam_role };
  if (settings.aws_access_key_id && settings.aws_secret_access_key)
    return {
      accessKeyId: settings.aws_access_key_id,
      secretAccessKey: settings.aws_secret_access_key,
      ...(settings.aws_session_token ? { sessionToken: settings.aws_session_token } : {}),
    };
  return undefined;
}

/** The Redshift connectors' settings of the S3 location their COPY / UNLOAD files pass through. */
export interface RedshiftS3Config {
  s3_bucket: string;
  s3_prefix: string;
  s3_region: string;
  s3_force_path_style: boolean;
  s3_endpoint?: string;
  aws_access_key_id?: string;
  aws_secret_access_key?: string;
  aws_session_token?: string;
}

/** Those settings as the files kit's S3Storage takes them (its S3Settings). */
export function s3StorageSettings(config: RedshiftS3Config) {
  return {
    bucket: config.s3_bucket,
    prefix: config.s3_prefix,
    region: config.s3_region,
    force_path_style: config.s3_force_path_style,
    ...(config.s3_endpoint ? { endpoint: config.s3_endpoint } : {}),
    ...(config.aws_access_key_id ? { access_key_id: config.aws_access_key_id } : {}),
    ...(config.aws_secret_access_key ? { secret_access_key: config.aws_secret_access_key } : {}),
    ...(config.aws_session_token ? { session_token: config.aws_session_token } : {}),
  };
}
