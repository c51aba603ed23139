export function TemplatesPage() {
  return <div className="page">TODO</div>;
}
