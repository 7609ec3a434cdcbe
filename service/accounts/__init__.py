"""Accounts: users and organisations managed by admins, passwords, tokens, web sessions, OpenID Connect login."""
