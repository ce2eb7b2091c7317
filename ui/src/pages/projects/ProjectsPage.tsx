// /projects: the organization's projects (an app belongs to one; a project
// may belong to a team, whose roles then apply to its apps): list, create,
// edit, delete.
import { useId, useState } from "react";
import { useSearchParams } from "react-router";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import type { Project } from "../../api/types";
import { Button, Card, Confirm, Dialog, ErrorBox, Field, PageHeader, QueryView, Time, fieldError, formError } from "../../components/ui";
import { isSlugConflict, needs, slugError, useAllProjects, useNameSlug, usePerms, useTeams } from "../org-shared/org";

export function ProjectsPage() {
  const projects = useAllProjects();
  const perms = usePerms();
  const [params, setParams] = useSearchParams();
  const [editing, setEditing] = useState<Project | null>(null);
  const [deleting, setDeleting] = useState<Project | null>(null);
  const creating = params.get("new") === "1";
  const setCreating = (on: boolean) => setParams(on ? { new: "1" } : {}, { replace: true });
  const qc = useQueryClient();
  const del = useMutation({
    mutationFn: (p: Project) => ok(api.DELETE("/api/v1/projects/{project}", { params: { path: { project: p.slug } } })),
    onSuccess: () => {
      setDeleting(null);
      void qc.invalidateQueries({ queryKey: ["projects"] });
    },
  });
  const teamsWrite = perms.teamsWith("projects.write");
  const canCreate = perms.at("projects.write") || teamsWrite.length > 0;
  const canAt = (p: Project) => perms.at("projects.write", { team: p.team || undefined });
  return (
    <>
      <PageHeader
        title="Projects"
        subtitle="Projects group apps; a project of a team gives the team's roles on its apps."
        actions={
          <Button kind="primary" disabled={!canCreate} title={canCreate ? undefined : needs("projects.write")} onClick={() => setCreating(true)}>
            New project
          </Button>
        }
      />
      <Card>
        <QueryView q={projects} label="projects" isEmpty={(d) => d.items.length === 0} empty={<>No projects yet. {canCreate ? "Create one to register apps in it." : "Someone with projects.write can create one."}</>}>
          {(d) => (
            <div className="org-table-wrap">
              <table className="table org-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Slug</th>
                    <th scope="col">Team</th>
                    <th scope="col">Description</th>
                    <th scope="col">Created</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((p) => {
                    const can = canAt(p);
                    const why = can ? undefined : needs("projects.write", p.team ? `on team ${p.team} or the organization` : "in this organization");
                    return (
                      <tr key={p.slug}>
                        <td>
                          <strong>{p.name}</strong>
                        </td>
                        <td className="mono small">{p.slug}</td>
                        <td>{p.team || <span className="muted">—</span>}</td>
                        <td className="desc">{p.description || <span className="muted">—</span>}</td>
                        <td>
                          <Time at={p.created_at} />
                        </td>
                        <td className="actions-cell">
                          <Button disabled={!can} title={why} aria-label={`Edit project ${p.name}`} onClick={() => setEditing(p)}>
                            Edit
                          </Button>
                          <Button
                            kind="danger"
                            disabled={!can}
                            title={why}
                            aria-label={`Delete project ${p.name}`}
                            onClick={() => {
                              del.reset();
                              setDeleting(p);
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
      {creating && <ProjectDialog onClose={() => setCreating(false)} />}
      {editing && <ProjectDialog project={editing} onClose={() => setEditing(null)} />}
      <Confirm
        open={!!deleting}
        title={`Delete project ${deleting?.name ?? ""}?`}
        body={<p>The project is deleted (softly). A project that still holds apps cannot be deleted: delete or move its apps first.</p>}
        confirmLabel="Delete project"
        busy={del.isPending}
        error={del.error}
        onConfirm={() => deleting && del.mutate(deleting)}
        onClose={() => setDeleting(null)}
      />
    </>
  );
}

/** ProjectDialog creates a project, or edits one (its slug cannot change). */
export function ProjectDialog({ project, onClose }: { project?: Project; onClose: () => void }) {
  const qc = useQueryClient();
  const teams = useTeams();
  const perms = usePerms();
  const formId = useId();
  const ns = useNameSlug(project?.name ?? "");
  const [team, setTeam] = useState(project ? (project.team ?? "") : perms.at("projects.write") ? "" : (perms.teamsWith("projects.write")[0] ?? ""));
  const [description, setDescription] = useState(project?.description ?? "");
  const save = useMutation({
    mutationFn: () =>
      project
        ? ok(api.PATCH("/api/v1/projects/{project}", { params: { path: { project: project.slug } }, body: { name: ns.name, slug: "", description, team } }))
        : ok(api.POST("/api/v1/projects", { body: { name: ns.name, slug: ns.slug, description, team } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["projects"] });
      onClose();
    },
  });
  const orgWide = perms.at("projects.write");
  // Without projects.write on the organization a project must go to a team where the caller has it.
  const teamAllowed = (slug: string) => orgWide || perms.at("projects.write", { team: slug });
  return (
    <Dialog
      open
      title={project ? `Edit project ${project.name}` : "New project"}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button kind="primary" type="submit" form={formId} busy={save.isPending}>
            {project ? "Save" : "Create project"}
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
        {project ? (
          <Field label="Slug" hint="A project's slug cannot change.">
            {(p) => <input {...p} value={project.slug} readOnly />}
          </Field>
        ) : (
          <Field label="Slug" error={slugError(save.error)} hint={ns.auto ? "Made from the name; edit it to choose your own." : "Lower-case letters, digits and hyphens, starting with a letter."}>
            {(p) => <input {...p} className="mono" value={ns.slug} onChange={(e) => ns.setSlug(e.target.value)} maxLength={40} />}
          </Field>
        )}
        <Field label="Team" error={fieldError(save.error, "team")} hint="The team's roles apply to the project's apps.">
          {(p) => (
            <select {...p} value={team} onChange={(e) => setTeam(e.target.value)} disabled={teams.isPending}>
              <option value="" disabled={!orgWide}>
                No team
              </option>
              {(teams.data?.items ?? []).map((t) => (
                <option key={t.slug} value={t.slug} disabled={!teamAllowed(t.slug)}>
                  {t.name} ({t.slug})
                </option>
              ))}
            </select>
          )}
        </Field>
        {teams.isError && <ErrorBox error={teams.error} title="Could not load the teams." />}
        <Field label="Description" error={fieldError(save.error, "description")}>
          {(p) => <textarea {...p} rows={3} value={description} onChange={(e) => setDescription(e.target.value)} style={{ fontFamily: "inherit" }} />}
        </Field>
        <ErrorBox error={!project && isSlugConflict(save.error) ? null : formError(save.error, ["name", "slug", "team", "description"])} />
      </form>
    </Dialog>
  );
}
