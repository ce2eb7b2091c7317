package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// MaxBodyBytes caps request bodies: a manifest (1 MiB) plus its JSON
// envelope fits; anything larger is answered 413.
const MaxBodyBytes = 2 << 20

// limitBody applies MaxBodyBytes to every request.
func limitBody(c *gin.Context) {
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes)
	}
	c.Next()
}

// bindJSON decodes a JSON body strictly: unknown fields and trailing data
// are 400s that name the field.
func bindJSON(c *gin.Context, v any) error {
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var (
			mbe *http.MaxBytesError
			ute *json.UnmarshalTypeError
			se  *json.SyntaxError
		)
		switch {
		case errors.As(err, &mbe):
			return err
		case errors.Is(err, io.EOF):
			return invalid("", "request body is empty; send a JSON object")
		case errors.As(err, &ute):
			return invalid(ute.Field, "%s: expected %s, got %s", ute.Field, ute.Type, ute.Value)
		case errors.As(err, &se):
			return invalid("", "request body is not valid JSON at byte %d: %v", se.Offset, err)
		default:
			if f, ok := unknownField(err); ok {
				return invalid(f, "unknown field %q", f)
			}
			return invalid("", "request body: %v", err)
		}
	}
	if dec.More() {
		return invalid("", "request body has data after the JSON object")
	}
	return nil
}

// unknownField extracts the name from encoding/json's unknown-field error.
func unknownField(err error) (string, bool) {
	const prefix = `json: unknown field "`
	msg := err.Error()
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix) : len(msg)-1], true
	}
	return "", false
}

// Page is the envelope of every list endpoint. NextCursor is empty on the
// last page; pass it back as ?cursor= for the next one.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// pageParams reads ?limit= (1..500, default 50) and ?cursor=.
func pageParams(c *gin.Context) (limit int, cursor string, err error) {
	limit = 50
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return 0, "", invalid("limit", "limit must be an integer between 1 and 500, got %q", s)
		}
		limit = n
	}
	if s := c.Query("cursor"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) == 0 {
			return 0, "", invalid("cursor", "cursor %q is not one this API returned", s)
		}
		cursor = string(b)
	}
	return limit, cursor, nil
}

// page builds the envelope; a full page gets a cursor made from the last
// item's sort key.
func page[T any](items []T, limit int, key func(T) string) Page[T] {
	p := Page[T]{Items: items}
	if p.Items == nil {
		p.Items = []T{}
	}
	if len(items) == limit && limit > 0 {
		p.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(key(items[len(items)-1])))
	}
	return p
}

func encodeCursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// idCursor reads a cursor made from an id ("" is the first page).
func idCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil {
		return 0, invalid("cursor", "bad cursor")
	}
	return id, nil
}
