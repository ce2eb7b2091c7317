import { useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import { Button, ErrorBox, Field, fieldError, formError } from "../components/ui";

export function LoginPage() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const qc = useQueryClient();
  const login = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/auth/login", { body: { email, password } })),
    onSuccess: async () => {
      await qc.invalidateQueries();
      const next = params.get("next");
      navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/apps");
    },
  });
  return (
    <main className="login" id="main">
      <form
        className="card login-card"
        aria-labelledby="login-title"
        onSubmit={(e) => {
          e.preventDefault();
          login.mutate();
        }}
      >
        <h1 id="login-title">Log in to Astrolift</h1>
        <Field label="Email" error={fieldError(login.error, "email")}>
          {(p) => <input {...p} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Password" error={fieldError(login.error, "password")}>
          {(p) => <input {...p} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}
        </Field>
        <ErrorBox error={formError(login.error, ["email", "password"])} title="Could not log in." />
        <Button kind="primary" type="submit" busy={login.isPending}>
          Log in
        </Button>
      </form>
    </main>
  );
}
