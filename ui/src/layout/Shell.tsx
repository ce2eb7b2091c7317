// The logged-in frame: the sidebar (org pages), the top bar (live-stream
// state, the user, log out) and, on app pages, the app's own navigation.
import { NavLink, Outlet, useNavigate, useParams } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { api } from "../api/client";
import { LiveStream, useLiveState, useMe } from "../api/session";
import { Spinner, ErrorBox } from "../components/ui";

const orgNav = [
  { to: "/apps", label: "Apps" },
  { to: "/deployments", label: "Deployments" },
  { to: "/projects", label: "Projects" },
  { to: "/teams", label: "Teams" },
  { to: "/members", label: "Members" },
  { to: "/webhooks", label: "Webhooks" },
  { to: "/connections", label: "Connections" },
];

export const appNav = [
  { to: "", label: "Overview", end: true },
  { to: "config", label: "Config" },
  { to: "deployments", label: "Deployments" },
  { to: "environments", label: "Environments" },
  { to: "drift", label: "Drift" },
  { to: "secrets", label: "Secrets" },
  { to: "managed-services", label: "Managed services" },
  { to: "domains", label: "Domains" },
  { to: "commands", label: "Commands" },
  { to: "webhooks", label: "Webhooks" },
  { to: "tokens", label: "Deploy tokens" },
  { to: "members", label: "Members" },
];

function LiveDot() {
  const s = useLiveState();
  const label = s === "live" ? "Live" : s === "connecting" ? "Connecting" : "Offline (retrying)";
  return (
    <span className={`live live-${s}`} role="status" aria-label={`Live updates: ${label}`} title={`Live updates: ${label}`}>
      <span className="dot" aria-hidden /> {label}
    </span>
  );
}

export function Shell() {
  const me = useMe();
  const navigate = useNavigate();
  const qc = useQueryClient();
  if (me.isPending) return <Spinner label="Loading your session…" />;
  if (me.isError) return <ErrorBox error={me.error} title="Could not load your session." />;
  return (
    <LiveStream>
      <div className="shell">
        <a className="skip" href="#main">
          Skip to content
        </a>
        <nav className="sidebar" aria-label="Main">
          <NavLink to="/apps" className="brand">
            <svg viewBox="0 0 16 16" width="18" height="18" aria-hidden>
              <path d="M8 1l6 13H2z" fill="currentColor" />
            </svg>
            Astrolift
          </NavLink>
          <ul>
            {orgNav.map((n) => (
              <li key={n.to}>
                <NavLink to={n.to}>{n.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="main-col">
          <header className="topbar">
            <LiveDot />
            <span className="user">{me.data.user.name || me.data.user.email}</span>
            <button
              type="button"
              className="btn btn-ghost"
              onClick={async () => {
                try {
                  await api.POST("/api/v1/auth/logout");
                } catch {
                  /* the session may be gone already */
                }
                qc.clear();
                navigate("/login");
              }}
            >
              Log out
            </button>
          </header>
          <main id="main" tabIndex={-1}>
            <Outlet />
          </main>
        </div>
      </div>
    </LiveStream>
  );
}

/** AppNav is the app's tab strip, above every /apps/:slug page. */
export function AppNav() {
  const { slug } = useParams();
  return (
    <nav className="app-nav" aria-label="App">
      {appNav.map((n) => (
        <NavLink key={n.label} to={`/apps/${slug}${n.to ? "/" + n.to : ""}`} end={n.end}>
          {n.label}
        </NavLink>
      ))}
    </nav>
  );
}
