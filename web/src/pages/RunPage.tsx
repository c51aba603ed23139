export function RunPage() {
  return <div className="page">TODO</div>;
}
