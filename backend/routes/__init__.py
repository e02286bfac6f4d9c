"""HTTP routes: the JSON API (api.py) and the staff page (staff.py)."""
