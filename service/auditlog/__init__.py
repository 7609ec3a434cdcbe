"""Reading THE audit log (service.core.audit writes it): filters, pages and CSV/XLSX export for admins."""
