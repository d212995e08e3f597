"""The public portal: pages anyone may read, and the public JSON API."""
