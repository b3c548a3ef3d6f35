/**
 * Commands the empty states offer to copy. Ingest listens on its own port (3001 unless the
 * operator changed it), on the same host as the dashboard.
 */
export function ingestUrl(): string {
  return `${window.location.protocol}//${window.location.hostname}:3001`
}

export function firstDeploymentCommand(): string {
  return `curl -X POST ${ingestUrl()}/v1/deployment-events \\
  -H "Authorization: Bearer $SHIPLOG_TOKEN" -H 'Content-Type: application/json' \\
  -d '{"product_name":"checkout","version":"1.4.2","environment_name":"production","status":"success"}'`
}
