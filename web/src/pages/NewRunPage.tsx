export function NewRunPage() {
  return <div className="page">TODO</div>;
}
