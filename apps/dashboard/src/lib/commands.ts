/**
 * Commands the empty states offer to copy. Ingest's address is the one the operator gave the
 * gateway (`SHIPLOG_INGEST_URL`, served by `GET /api/v1/info`); without it, ingest's default port
 * on the dashboard's host is a guess, and the empty state says so.
 */
export function guessedIngestUrl(): string {
  return `${window.location.protocol}//${window.location.hostname}:3001`
}

export function firstDeploymentCommand(ingestUrl: string | null): string {
  return `curl -X POST ${ingestUrl ?? guessedIngestUrl()}/v1/deployment-events \\
  -H "Authorization: Bearer $SHIPLOG_TOKEN" -H 'Content-Type: application/json' \\
  -d '{"product_name":"checkout","version":"1.4.2","environment_name":"production","status":"success"}'`
}
