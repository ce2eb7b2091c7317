// /teams: the organization's teams (roles bound to a team apply to the
// team's projects and their apps): list, create, rename, delete.
import { useId, useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import type { Team } from "../../api/types";
import { Button, Card, Confirm, Dialog, ErrorBox, Field, PageHeader, QueryView, Time, fieldError, formError } from "../../components/ui";
import { isSlugConflict, needs, slugError, useAllProjects, useNameSlug, usePerms, useTeams } from "../org-shared/org";

export function TeamsPage() {
  const teams = useTeams();
  const projects = useAllProjects();
  const perms = usePerms();
  const qc = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<Team | null>(null);
  const [deleting, setDeleting] = useState<Team | null>(null);
  const del = useMutation({
    mutationFn: (t: Team) => ok(api.DELETE("/api/v1/teams/{team}", { params: { path: { team: t.slug } } })),
    onSuccess: () => {
      setDeleting(null);
      void qc.invalidateQueries({ queryKey: ["teams"] });
    },
  });
  const can = perms.at("teams.write");
  const why = can ? undefined : needs("teams.write");
  const projectsOf = (t: Team) => (projects.data?.items ?? []).filter((p) => p.team === t.slug);
  return (
    <>
      <PageHeader
        title="Teams"
        subtitle="Roles granted on a team apply to the team's projects and their apps."
        actions={
          <Button kind="primary" disabled={!can} title={why} onClick={() => setCreating(true)}>
            New team
          </Button>
        }
      />
      <Card>
        <QueryView q={teams} label="teams" isEmpty={(d) => d.items.length === 0} empty={<>No teams yet.{can ? " Create one, then give it projects and grant its roles on the Members page." : ""}</>}>
          {(d) => (
            <div className="org-table-wrap">
              <table className="table org-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Slug</th>
                    <th scope="col">Projects</th>
                    <th scope="col">Created</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((t) => {
                    const ps = projectsOf(t);
                    return (
                      <tr key={t.slug}>
                        <td>
                          <strong>{t.name}</strong>
                        </td>
                        <td className="mono small">{t.slug}</td>
                        <td>{projects.isSuccess ? (ps.length ? ps.map((p) => p.name).join(", ") : <span className="muted">none</span>) : <span className="muted">—</span>}</td>
                        <td>
                          <Time at={t.created_at} />
                        </td>
                        <td className="actions-cell">
                          <Button disabled={!can} title={why} aria-label={`Rename team ${t.name}`} onClick={() => setRenaming(t)}>
                            Rename
                          </Button>
                          <Button
                            kind="danger"
                            disabled={!can}
                            title={why}
                            aria-label={`Delete team ${t.name}`}
                            onClick={() => {
                              del.reset();
                              setDeleting(t);
                            }}
                          >
                            Delete
                          </Button>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </QueryView>
      </Card>
      {creating && <TeamDialog onClose={() => setCreating(false)} />}
      {renaming && <TeamDialog team={renaming} onClose={() => setRenaming(null)} />}
      <Confirm
        open={!!deleting}
        title={`Delete team ${deleting?.name ?? ""}?`}
        body={<p>The team and the roles bound to it stop applying. A team that still owns projects cannot be deleted: move its projects first.</p>}
        confirmLabel="Delete team"
        busy={del.isPending}
        error={del.error}
        onConfirm={() => deleting && del.mutate(deleting)}
        onClose={() => setDeleting(null)}
      />
    </>
  );
}

/** TeamDialog creates a team, or renames one (the slug is immutable). */
function TeamDialog({ team, onClose }: { team?: Team; onClose: () => void }) {
  const qc = useQueryClient();
  const formId = useId();
  const ns = useNameSlug(team?.name ?? "");
  const save = useMutation({
    mutationFn: () =>
      team
        ? ok(api.PATCH("/api/v1/teams/{team}", { params: { path: { team: team.slug } }, body: { name: ns.name, slug: "" } }))
        : ok(api.POST("/api/v1/teams", { body: { name: ns.name, slug: ns.slug } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["teams"] });
      void qc.invalidateQueries({ queryKey: ["projects"] });
      onClose();
    },
  });
  return (
    <Dialog
      open
      title={team ? `Rename team ${team.name}` : "New team"}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button kind="primary" type="submit" form={formId} busy={save.isPending}>
            {team ? "Rename" : "Create team"}
          </Button>
        </>
      }
    >
      <form
        id={formId}
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Field label="Name" error={fieldError(save.error, "name")}>
          {(p) => <input {...p} value={ns.name} onChange={(e) => ns.setName(e.target.value)} required autoFocus />}
        </Field>
        {team ? (
          <Field label="Slug" hint="A team's slug cannot change.">
            {(p) => <input {...p} className="mono" value={team.slug} readOnly />}
          </Field>
        ) : (
          <Field label="Slug" error={slugError(save.error)} hint={ns.auto ? "Made from the name; edit it to choose your own." : "Lower-case letters, digits and hyphens, starting with a letter."}>
            {(p) => <input {...p} className="mono" value={ns.slug} onChange={(e) => ns.setSlug(e.target.value)} maxLength={40} />}
          </Field>
        )}
        <ErrorBox error={!team && isSlugConflict(save.error) ? null : formError(save.error, ["name", "slug"])} />
      </form>
    </Dialog>
  );
}
