package identity

import (
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Namehash is EIP-137's node of an ENS name: keccak256 folded over the
// labels from the right, starting from 32 zero bytes. Names are lowercased;
// full UTS-46 normalisation is left to the name's author.
func Namehash(name string) common.Hash {
	var node common.Hash
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if name == "" {
		return node
	}
	labels := strings.Split(name, ".")
	for i := len(labels) - 1; i >= 0; i-- {
		lh := crypto.Keccak256([]byte(labels[i]))
		node = common.BytesToHash(crypto.Keccak256(node[:], lh))
	}
	return node
}
