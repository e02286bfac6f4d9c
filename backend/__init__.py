"""The reissue intake backend: a FastAPI service over SQLAlchemy 1.4 with Alembic migrations."""
