// Package dotenv parses .env files for the Secrets page's bulk import:
// comments, blank lines, `export` prefixes, unquoted values (a ` #` starts
// a comment), single-quoted values (literal), and double-quoted values
// (escapes \n \r \t \" \\ \$), both of which may span lines. A bad line is
// an error naming its line number, and nothing is returned.
//
// It is written here rather than taken from joho/godotenv because the
// import must say which line is wrong, which godotenv's errors do not.
package dotenv
