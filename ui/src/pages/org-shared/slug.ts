// slugify makes a slug from a display name exactly the way the API does
// when no slug is given (api/orgs.go slugify): lower case, every run of
// characters other than a-z and 0-9 becomes one hyphen, leading digits and
// hyphens are dropped (a slug is a DNS-1035 label: it starts with a
// letter), at most maxLen characters without a trailing hyphen.
export function slugify(name: string, maxLen = 40): string {
  let out = "";
  let hyphen = false;
  for (const r of name.toLowerCase()) {
    const letter = r >= "a" && r <= "z";
    const digit = r >= "0" && r <= "9";
    if (letter || (digit && out.length > 0)) {
      if (hyphen && out.length > 0) out += "-";
      out += r;
      hyphen = false;
    } else {
      hyphen = true;
    }
  }
  if (out.length > maxLen) out = out.slice(0, maxLen).replace(/-+$/, "");
  return out;
}

/** The longest slugs the API takes: teams and projects (40), apps (40). */
export const SLUG_MAX = 40;
