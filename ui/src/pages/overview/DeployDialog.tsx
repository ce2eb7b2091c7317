// The Deploy quick action: pick an environment (and optionally an image),
// queue a manual deployment, then follow it on its page.
import { useEffect, useState } from "react";
import { useNavigate } from "react-router";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import type { Deployment, Environment } from "../../api/types";
import { Button, Dialog, ErrorBox, Field, fieldError, formError } from "../../components/ui";

export function DeployDialog({ slug, environments, open, onClose, initial }: { slug: string; environments: Environment[]; open: boolean; onClose: () => void; initial?: string }) {
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [environment, setEnvironment] = useState(initial ?? environments[0]?.name ?? "");
  const [image, setImage] = useState("");
  useEffect(() => {
    if (open) {
      setEnvironment(initial && environments.some((e) => e.name === initial) ? initial : (environments[0]?.name ?? ""));
      setImage("");
    }
  }, [open, initial, environments]);
  const deploy = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/apps/{slug}/deploy", { params: { path: { slug } }, body: { environment, image: image.trim() } as never })),
    // deploymentDetailDTO embeds deploymentDTO (id, status, …), which the
    // OpenAPI document leaves out of the generated type: read the id as Deployment's.
    onSuccess: (res) => {
      const d = res as typeof res & Deployment;
      void qc.invalidateQueries({ queryKey: ["apps", slug] });
      void qc.invalidateQueries({ queryKey: ["deployments"] });
      onClose();
      navigate(`/deployments/${d.id}`);
    },
  });
  const close = () => {
    deploy.reset();
    onClose();
  };
  const chosen = environments.find((e) => e.name === environment);
  return (
    <Dialog
      open={open}
      title="Deploy"
      onClose={close}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button kind="primary" type="submit" form="deploy-form" busy={deploy.isPending} disabled={!environment}>
            Deploy{environment ? ` to ${environment}` : ""}
          </Button>
        </>
      }
    >
      <form
        id="deploy-form"
        onSubmit={(e) => {
          e.preventDefault();
          deploy.mutate();
        }}
      >
        <p className="muted">Queues a deployment of the manifest synced from the repository.</p>
        <Field label="Environment" error={fieldError(deploy.error, "environment")} hint={chosen ? `Namespace ${chosen.namespace}${chosen.required_approvals ? ` · needs ${chosen.required_approvals} approval${chosen.required_approvals === 1 ? "" : "s"}` : ""}${chosen.paused ? " · paused (a manual deploy still runs)" : ""}` : undefined}>
          {(p) => (
            <select {...p} value={environment} onChange={(e) => setEnvironment(e.target.value)}>
              {environments.map((e) => (
                <option key={e.id} value={e.name}>
                  {e.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Image (optional)" error={fieldError(deploy.error, "image", "image_digest")} hint="A tag, a digest or a full reference; empty keeps the image the environment runs.">
          {(p) => <input {...p} value={image} onChange={(e) => setImage(e.target.value)} placeholder="e.g. v1.4.2" autoComplete="off" />}
        </Field>
        <ErrorBox error={formError(deploy.error, ["environment", "image", "image_digest"])} title="Could not deploy." />
      </form>
    </Dialog>
  );
}
