import { Link } from "react-router";
import { PageHeader } from "../components/ui";

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" subtitle="There is no dashboard page at this address." />
      <p>
        <Link to="/apps">Go to your apps</Link>
      </p>
    </>
  );
}
