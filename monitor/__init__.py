"""roomwatch daemon core: model, configuration, inventory, scheduler, stores and wiring."""
