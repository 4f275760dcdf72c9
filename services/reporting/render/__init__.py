"""The pack's formats: HTML (stored as issued), PDF from that HTML, XLSX from its content,
and the SVG charts both HTML and PDF carry."""
