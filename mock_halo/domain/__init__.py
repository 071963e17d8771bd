"""Halo's domain: the resource table (`resources`), the store (`store.HaloStore`), the business rules
(`rules/`), rendering of records as Halo answers them, custom fields, coercion of written values, the
official document's facts (`facts`) and its generic and special paths, OAuth (`auth`). No web imports
(import-linter: "Halo's domain and the engine know nothing of the web")."""
