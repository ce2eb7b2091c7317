package api

import (
	"net/http"
	"net/mail"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/astrolift/astrolift/store"
)

func (a *API) listRoles(c *gin.Context) {
	c.JSON(http.StatusOK, Page[Role]{Items: Roles})
}

func (a *API) listUsers(c *gin.Context) {
	us, err := a.store.ListUsers(c.Request.Context(), principalOf(c).user.OrgID)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]userDTO, len(us))
	for i, u := range us {
		out[i] = newUserDTO(u)
	}
	respondPageOf(a, c, out, func(u userDTO) string { return u.Email })
}

type createUserRequest struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// createUser adds a local account to the organization; roles are granted
// separately (POST /api/v1/members).
func (a *API) createUser(c *gin.Context) {
	var req createUserRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	addr, err := mail.ParseAddress(req.Email)
	if err != nil || addr.Address != strings.TrimSpace(req.Email) {
		a.fail(c, invalid("email", "%q is not an email address", req.Email))
		return
	}
	if strings.TrimSpace(req.Name) == "" {
		a.fail(c, invalid("name", "name is required"))
		return
	}
	hash, err := HashPassword(req.Password)
	if err != nil {
		a.fail(c, err)
		return
	}
	p := principalOf(c)
	u := &store.User{OrgID: p.user.OrgID, Email: addr.Address, Name: strings.TrimSpace(req.Name), PasswordHash: hash}
	if err := a.store.CreateUser(c.Request.Context(), u); err != nil {
		a.fail(c, err)
		return
	}
	a.event(c.Request.Context(), u.OrgID, 0, "user.created", p.user.Email, "user "+u.Email+" created")
	c.JSON(http.StatusCreated, newUserDTO(u))
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// setPassword changes the caller's own password; it needs the current one.
func (a *API) setPassword(c *gin.Context) {
	var req passwordRequest
	if err := bindJSON(c, &req); err != nil {
		a.fail(c, err)
		return
	}
	p := principalOf(c)
	if !checkPassword(p.user.PasswordHash, req.CurrentPassword) {
		a.fail(c, invalid("current_password", "the current password is wrong"))
		return
	}
	hash, err := HashPassword(req.NewPassword)
	if err != nil {
		a.fail(c, invalid("new_password", "%v", err))
		return
	}
	if err := a.store.SetUserPassword(c.Request.Context(), p.user.ID, hash); err != nil {
		a.fail(c, err)
		return
	}
	a.event(c.Request.Context(), p.user.OrgID, 0, "user.password_changed", p.user.Email, "password changed")
	c.Status(http.StatusNoContent)
}

// respondPageOf pages a fully loaded, sorted list (small collections: teams,
// projects, members, users) with the same ?limit and ?cursor as the rest.
func respondPageOf[T any](a *API, c *gin.Context, items []T, key func(T) string) {
	limit, cursor, err := pageParams(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	start := 0
	if cursor != "" {
		for start < len(items) && key(items[start]) <= cursor {
			start++
		}
	}
	end := min(len(items), start+limit)
	c.JSON(http.StatusOK, page(items[start:end], limit, key))
}
