"""The generic local runtime: a SAM template on an in-process moto server, served as API Gateway would.

Template loader, deploy, in-process functions, moto patches, stream pollers, schedule timers, tokens, the
ASL check and the gateway know nothing about OMS; what a project adds (sandboxes, seed data, its own
`/_local` routes) comes in through an `extension.Extension`.
"""
