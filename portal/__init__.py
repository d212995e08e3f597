"""The portal: FastAPI + Jinja2 pages and a JSON API (built by `portal.app.create_app`)."""
