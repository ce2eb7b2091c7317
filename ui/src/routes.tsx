// Every dashboard page and its address. Pages under /apps/:slug share the
// app's header and navigation (AppLayout).
import { Navigate, type RouteObject } from "react-router";
import { Shell } from "./layout/Shell";
import { LoginPage } from "./pages/LoginPage";
import { AppsPage } from "./pages/AppsPage";
import { AppLayout } from "./layout/AppLayout";
import { NotFoundPage } from "./pages/NotFoundPage";
import { OverviewPage } from "./pages/overview/OverviewPage";
import { WorkloadPage } from "./pages/workload/WorkloadPage";

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
          { index: true, element: <OverviewPage /> },
          { path: "workloads/:name", element: <WorkloadPage /> },
          // app pages: { index: true, element: <OverviewPage /> }, { path: "config", element: <ConfigPage /> }, …
        ],
      },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];
