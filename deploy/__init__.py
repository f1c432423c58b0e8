"""Deployment helpers. deploy.postgres starts a throwaway Postgres cluster from Debian's binaries (the class poll's
tests, local runs); the deployment engineer's modules sit beside it."""
