// Package merge3 merges two edits of a text made from a common base, line
// by line, the way git merge and diff3 do: a region changed on one side
// only takes that side's lines, a region changed identically on both sides
// takes them once, and a region changed differently on both sides is a
// conflict. Push to repo uses it to carry a dashboard draft onto a
// manifest that moved in the repository meanwhile, without ever dropping
// the repository's changes.
//
// Line matching is go-difflib's SequenceMatcher (without its junk
// heuristic, which would treat frequent lines such as blank ones as
// unmatched).
package merge3
