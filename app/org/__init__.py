"""The organisation: the installation's institution and its service units (P2KLLK, a BK unit,
PUSPAGA), which procedures each unit offers, and who belongs to which unit. Below the SOP engine
(sop reads units; units know procedures only by code). No pages of its own: admins manage units
on app/admin's "Unit layanan" screens."""
