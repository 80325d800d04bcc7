export function StateBadge({ state, reason }: { state: string; reason?: string }) {
  return (
    <span className={`badge state-${state}`} title={reason ? `reason: ${reason}` : undefined} data-testid="vm-state">
      {state}
    </span>
  );
}
