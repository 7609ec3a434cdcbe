"""mediadesk: API service and the domain core shared with the workers."""
