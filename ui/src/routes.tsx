// Every dashboard page and its address. Pages under /apps/:slug share the
// app's header and navigation (AppLayout).
import { Navigate, type RouteObject } from "react-router";
import { Shell } from "./layout/Shell";
import { LoginPage } from "./pages/LoginPage";
import { AppsPage } from "./pages/AppsPage";
import { AppLayout } from "./layout/AppLayout";
import { NotFoundPage } from "./pages/NotFoundPage";
import { ConfigPage } from "./pages/config/ConfigPage";
import { DriftPage } from "./pages/drift/DriftPage";
import { AppDeploymentsPage, DeploymentsPage } from "./pages/deployments/DeploymentsPage";
import { DeploymentPage } from "./pages/deployments/DeploymentPage";
import { OverviewPage } from "./pages/overview/OverviewPage";
import { WorkloadPage } from "./pages/workload/WorkloadPage";
import { SecretsPage } from "./pages/secrets/SecretsPage";
import { EnvironmentsPage } from "./pages/environments/EnvironmentsPage";
import { ManagedServicesPage } from "./pages/managed-services/ManagedServicesPage";
import { DomainsPage } from "./pages/domains/DomainsPage";
import { WebhooksPage as AppWebhooksPage } from "./pages/webhooks/WebhooksPage";
import { TokensPage } from "./pages/tokens/TokensPage";
import { MembersPage as AppMembersPage } from "./pages/members/MembersPage";
import { CommandsPage } from "./pages/commands/CommandsPage";
import { ProjectsPage } from "./pages/projects/ProjectsPage";
import { TeamsPage } from "./pages/teams/TeamsPage";
import { MembersPage as OrgMembersPage } from "./pages/org-members/MembersPage";
import { WebhooksPage as OrgWebhooksPage } from "./pages/org-webhooks/WebhooksPage";
import { ConnectionsPage } from "./pages/connections/ConnectionsPage";
import { NewAppPage } from "./pages/new-app/NewAppPage";

export const routes: RouteObject[] = [
  { path: "/login", element: <LoginPage /> },
  {
    element: <Shell />,
    children: [
      { path: "/", element: <Navigate to="/apps" replace /> },
      { path: "/apps", element: <AppsPage /> },
      { path: "/apps/new", element: <NewAppPage /> },
      { path: "/projects", element: <ProjectsPage /> },
      { path: "/teams", element: <TeamsPage /> },
      { path: "/members", element: <OrgMembersPage /> },
      { path: "/webhooks", element: <OrgWebhooksPage /> },
      { path: "/connections", element: <ConnectionsPage /> },
      {
        path: "/apps/:slug",
        element: <AppLayout />,
        children: [
          { index: true, element: <OverviewPage /> },
          { path: "workloads/:name", element: <WorkloadPage /> },
          { path: "config", element: <ConfigPage /> },
          { path: "deployments", element: <AppDeploymentsPage /> },
          { path: "drift", element: <DriftPage /> },
          { path: "environments", element: <EnvironmentsPage /> },
          { path: "secrets", element: <SecretsPage /> },
          { path: "managed-services", element: <ManagedServicesPage /> },
          { path: "domains", element: <DomainsPage /> },
          { path: "commands", element: <CommandsPage /> },
          { path: "webhooks", element: <AppWebhooksPage /> },
          { path: "tokens", element: <TokensPage /> },
          { path: "members", element: <AppMembersPage /> },
        ],
      },
      { path: "/deployments", element: <DeploymentsPage /> },
      { path: "/deployments/:id", element: <DeploymentPage /> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];
