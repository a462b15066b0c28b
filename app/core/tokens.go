package core

import (
	"encoding/json"
	"fmt"

	"studiodesk/studio/remote"
	"studiodesk/studio/store"
)

// remoteDevicesBucket holds the field-controller devices paired with this
// desk (only token hashes are stored).
const remoteDevicesBucket = "remote_devices"

// StoreTokens persists paired devices in the desk's bbolt file.
type StoreTokens struct{ St *store.Store }

// Save stores a paired device.
func (b StoreTokens) Save(d remote.Device) error { return b.St.Put(remoteDevicesBucket, d.ID, d) }

// Delete forgets a paired device.
func (b StoreTokens) Delete(id string) error { return b.St.Delete(remoteDevicesBucket, id) }

// List returns the paired devices.
func (b StoreTokens) List() ([]remote.Device, error) {
	var out []remote.Device
	err := b.St.All(remoteDevicesBucket, func(key string, raw json.RawMessage) error {
		var d remote.Device
		if err := json.Unmarshal(raw, &d); err != nil {
			return fmt.Errorf("paired device %q: %w", key, err)
		}
		out = append(out, d)
		return nil
	})
	return out, err
}
