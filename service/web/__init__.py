"""Server-rendered pages (zh-CN first): cookie sessions, CSRF, login, and the submitters' and editors' workspaces."""
