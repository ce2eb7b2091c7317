// Pieces the app's sub-resource pages share: the app's environments, an
// environment picker, permission hints and the page CSS.
import { useQuery } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import type { Environment } from "../../api/types";
import "./subres.css";

/** environmentsQuery: the app's environments (live: keyed under ["apps", slug]). */
export const environmentsQuery = (slug: string) => ({
  queryKey: ["apps", slug, "environments"],
  queryFn: () => ok(api.GET("/api/v1/apps/{slug}/environments", { params: { path: { slug } } })),
});

export function useEnvironments(slug: string) {
  return useQuery(environmentsQuery(slug));
}

/** why is the title of an action the user may not take. */
export function why(perm: string): string {
  return `You need the ${perm} permission on this app to do this.`;
}

/** gate gives a button's disabled and title props for a permission. */
export function gate(allowed: boolean, perm: string): { disabled?: boolean; title?: string } {
  return allowed ? {} : { disabled: true, title: why(perm) };
}

/** EnvSelect is a <select> of the app's environments; allLabel adds an empty choice first. */
export function EnvSelect({ envs, value, onChange, allLabel, ...p }: { envs: Pick<Environment, "id" | "name">[] | undefined; value: string; onChange: (v: string) => void; allLabel?: string; id?: string; "aria-invalid"?: boolean; "aria-describedby"?: string }) {
  return (
    <select {...p} value={value} onChange={(e) => onChange(e.target.value)}>
      {allLabel !== undefined && <option value="">{allLabel}</option>}
      {(envs ?? []).map((e) => (
        <option key={e.id} value={e.name}>
          {e.name}
        </option>
      ))}
    </select>
  );
}

/** envQuery is the ?environment= query parameter (none when empty). */
export function envQuery(environment: string) {
  return (environment ? { environment } : {}) as never;
}
