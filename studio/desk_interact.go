package studio

// InteractConfig wires coupons and votes to the platform and the outbox.
type InteractConfig struct{}

// interactState is the desk goroutine's interaction state.
type interactState struct{}

// applyInteractionCommand handles coupon and vote commands; handled is
// false for any other command.
func (d *Desk) applyInteractionCommand(cmd Command) (handled bool, err error) {
	return false, nil
}
