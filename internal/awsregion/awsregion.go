// Package awsregion lists the AWS regions by partition, as the AWS SDK for
// Go v2 that sentinel-check is built with knows them (its partitions.json;
// a test keeps the two the same), so that a mistyped region is an error
// instead of a filter that silently leaves every real region out.
package awsregion

import "slices"

// Partition is an AWS partition and its regions.
type Partition struct {
	ID string
	// Global is where CloudTrail logs the calls to the partition's global
	// STS endpoint (the SDK's implicit global region; for China,
	// cn-north-1, as the region of its global endpoint).
	Global  string
	Regions []string
}

// Partitions are the AWS partitions and their regions, sorted.
var Partitions = []Partition{
	{"aws", "us-east-1", []string{
		"af-south-1",
		"ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ap-south-1", "ap-south-2",
		"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
		"ca-central-1", "ca-west-1",
		"eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
		"eu-west-1", "eu-west-2", "eu-west-3",
		"il-central-1", "me-central-1", "me-south-1", "me-west-1", "mx-central-1",
		"sa-east-1", "sa-west-1",
		"us-east-1", "us-east-2", "us-west-1", "us-west-2",
	}},
	{"aws-cn", "cn-north-1", []string{"cn-north-1", "cn-northwest-1"}},
	{"aws-eusc", "eusc-de-east-1", []string{"eusc-de-east-1"}},
	{"aws-iso", "us-iso-east-1", []string{"us-iso-east-1", "us-iso-west-1"}},
	{"aws-iso-b", "us-isob-east-1", []string{"us-isob-east-1", "us-isob-west-1"}},
	{"aws-iso-e", "eu-isoe-west-1", []string{"eu-isoe-west-1"}},
	{"aws-iso-f", "us-isof-south-1", []string{"us-isof-east-1", "us-isof-south-1"}},
	{"aws-us-gov", "us-gov-west-1", []string{"us-gov-east-1", "us-gov-west-1"}},
}

// Commercial returns the regions of the aws partition (a copy).
func Commercial() []string { return slices.Clone(Partitions[0].Regions) }

// All returns the regions of every partition.
func All() []string {
	var all []string
	for _, p := range Partitions {
		all = append(all, p.Regions...)
	}
	return all
}

// Known reports whether r is a region of some partition.
func Known(r string) bool {
	for _, p := range Partitions {
		if _, ok := slices.BinarySearch(p.Regions, r); ok {
			return true
		}
	}
	return false
}

// GlobalRegion returns the Global of r's partition, or "" when r is in no
// partition.
func GlobalRegion(r string) string {
	for _, p := range Partitions {
		if _, ok := slices.BinarySearch(p.Regions, r); ok {
			return p.Global
		}
	}
	return ""
}
