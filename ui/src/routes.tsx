// Every dashboard page and its address. Pages under /apps/:slug share the
// app's header and navigation (AppLayout).
import { Navigate, type RouteObject } from "react-router";
import { Shell } from "./layout/Shell";
import { LoginPage } from "./pages/LoginPage";
import { AppsPage } from "./pages/AppsPage";
import { AppLayout } from "./layout/AppLayout";
import { NotFoundPage } from "./pages/NotFoundPage";
import { ProjectsPage } from "./pages/projects/ProjectsPage";
import { TeamsPage } from "./pages/teams/TeamsPage";
import { MembersPage } from "./pages/org-members/MembersPage";
import { WebhooksPage } from "./pages/org-webhooks/WebhooksPage";
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
      { path: "/members", element: <MembersPage /> },
      { path: "/webhooks", element: <WebhooksPage /> },
      { path: "/connections", element: <ConnectionsPage /> },
      {
        path: "/apps/:slug",
        element: <AppLayout />,
        children: [
          // app pages: { index: true, element: <OverviewPage /> }, { path: "config", element: <ConfigPage /> }, …
        ],
      },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];
