// Every dashboard page and its address. Pages under /apps/:slug share the
// app's header and navigation (AppLayout).
import { Navigate, type RouteObject } from "react-router";
import { Shell } from "./layout/Shell";
import { LoginPage } from "./pages/LoginPage";
import { AppsPage } from "./pages/AppsPage";
import { AppLayout } from "./layout/AppLayout";
import { NotFoundPage } from "./pages/NotFoundPage";
import { SecretsPage } from "./pages/secrets/SecretsPage";
import { EnvironmentsPage } from "./pages/environments/EnvironmentsPage";
import { ManagedServicesPage } from "./pages/managed-services/ManagedServicesPage";
import { DomainsPage } from "./pages/domains/DomainsPage";
import { WebhooksPage } from "./pages/webhooks/WebhooksPage";
import { TokensPage } from "./pages/tokens/TokensPage";
import { MembersPage } from "./pages/members/MembersPage";
import { CommandsPage } from "./pages/commands/CommandsPage";

export const routes: RouteObject[] = [
  { path: "/login", element: <LoginPage /> },
  {
    element: <Shell />,
    children: [
      { path: "/", element: <Navigate to="/apps" replace /> },
      { path: "/apps", element: <AppsPage /> },
      {
        path: "/apps/:slug",
        element: <AppLayout />,
        children: [
          // app pages: { index: true, element: <OverviewPage /> }, { path: "config", element: <ConfigPage /> }, …
          { path: "environments", element: <EnvironmentsPage /> },
          { path: "secrets", element: <SecretsPage /> },
          { path: "managed-services", element: <ManagedServicesPage /> },
          { path: "domains", element: <DomainsPage /> },
          { path: "commands", element: <CommandsPage /> },
          { path: "webhooks", element: <WebhooksPage /> },
          { path: "tokens", element: <TokensPage /> },
          { path: "members", element: <MembersPage /> },
        ],
      },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];
