"""The mock's HTTP wing: the FastAPI app and middleware (`app`), Halo's REST routes (`routes`), the admin
API under ``/_sandbox`` (`admin`), the Host/Origin guard (`hostguard`), the OpenAPI document it serves
(`openapi`), JSON answers (`responses`) and route dependencies (`deps`). The only wing that imports the web
stack; it parses requests, calls the tenant's store with keyword arguments and maps errors to answers."""
