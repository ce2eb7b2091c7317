import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import type { UseQueryResult } from "@tanstack/react-query";
import { ApiError } from "../api/client";
import { Field, QueryView, fieldError, formError, relative, toneOf } from "./ui";

const q = <T,>(over: Partial<UseQueryResult<T>>) => ({ isPending: false, isError: false, error: null, data: undefined, ...over }) as UseQueryResult<T>;

describe("QueryView", () => {
  it("shows loading, the API's error message, forbidden, empty and data", () => {
    const { rerender } = render(<QueryView q={q({ isPending: true })} label="apps">{() => "data"}</QueryView>);
    expect(screen.getByRole("status")).toHaveTextContent("Loading apps…");
    rerender(<QueryView q={q({ isError: true, error: new ApiError(500, "internal", "database is locked") })} label="apps">{() => "data"}</QueryView>);
    expect(screen.getByRole("alert")).toHaveTextContent("Could not load apps. database is locked");
    rerender(<QueryView q={q({ isError: true, error: new ApiError(403, "forbidden", "you need the app.read permission here") })}>{() => "data"}</QueryView>);
    expect(screen.getByRole("alert")).toHaveTextContent("Not allowed. you need the app.read permission here");
    rerender(<QueryView q={q({ data: [] as number[] })} isEmpty={(d) => d.length === 0} empty="No apps yet.">{() => "data"}</QueryView>);
    expect(screen.getByText("No apps yet.")).toBeInTheDocument();
    rerender(<QueryView q={q({ data: [1] })} isEmpty={(d) => d.length === 0}>{(d) => `items: ${d.length}`}</QueryView>);
    expect(screen.getByText("items: 1")).toBeInTheDocument();
  });
});

describe("field errors", () => {
  const err = new ApiError(400, "invalid", "slug: already taken", "slug");
  it("shows the API error next to the field it names, labelled and described", () => {
    render(<Field label="Slug" error={fieldError(err, "slug")}>{(p) => <input {...p} />}</Field>);
    const input = screen.getByLabelText("Slug");
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(input).toHaveAccessibleDescription("slug: already taken");
  });
  it("leaves errors of other fields to the form", () => {
    expect(fieldError(err, "name")).toBeUndefined();
    expect(formError(err, ["slug"])).toBeNull();
    expect(formError(err, ["name"])).toBe(err);
    expect(fieldError(new ApiError(400, "invalid", "x", "values.KEY"), "values")).toBe("x");
  });
});

describe("helpers", () => {
  it("colours statuses and words times", () => {
    expect([toneOf("ready"), toneOf("pending"), toneOf("failed"), toneOf("weird")]).toEqual(["ok", "warn", "bad", "info"]);
    const now = new Date("2026-12-03T12:00:00Z");
    expect(relative(new Date("2026-12-03T11:58:00Z"), now)).toBe("2 minutes ago");
    expect(relative(new Date("2026-12-03T11:59:50Z"), now)).toBe("just now");
  });
});
