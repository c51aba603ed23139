import { Link } from "react-router-dom";
import { EmptyState } from "../components/States";

export function NotFoundPage() {
  return (
    <div className="page">
      <EmptyState title="Nothing here">
        <p>This address does not match a page.</p>
        <Link to="/">Go to the board</Link>
      </EmptyState>
    </div>
  );
}
