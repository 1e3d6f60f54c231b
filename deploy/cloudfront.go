package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// Invalidator drops paths from a CDN's caches.
type Invalidator interface {
	// Invalidate asks for paths to be invalidated and returns the
	// invalidation's id. Two calls with the same ref and paths make one
	// invalidation.
	Invalidate(ctx context.Context, ref string, paths []string) (id string, err error)
	// InvalidationStatus returns the status of the invalidation id, such as
	// InProgress or Completed.
	InvalidationStatus(ctx context.Context, id string) (string, error)
}

// CloudFront is the Invalidator of one CloudFront distribution.
type CloudFront struct {
	client         *cloudfront.Client
	distributionID string
}

// NewCloudFront returns the Invalidator of the distribution id.
func NewCloudFront(client *cloudfront.Client, distributionID string) *CloudFront {
	return &CloudFront{client: client, distributionID: distributionID}
}

// Invalidate implements Invalidator with CreateInvalidation; ref is its
// CallerReference, which CloudFront uses to recognise a retried request.
func (c *CloudFront) Invalidate(ctx context.Context, ref string, paths []string) (string, error) {
	out, err := c.client.CreateInvalidation(ctx, &cloudfront.CreateInvalidationInput{
		DistributionId: aws.String(c.distributionID),
		InvalidationBatch: &cftypes.InvalidationBatch{
			CallerReference: aws.String(ref),
			Paths:           &cftypes.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths},
		},
	})
	if err != nil {
		return "", fmt.Errorf("invalidate %d paths on distribution %s: %w", len(paths), c.distributionID, err)
	}
	return aws.ToString(out.Invalidation.Id), nil
}

// InvalidationStatus implements Invalidator.
func (c *CloudFront) InvalidationStatus(ctx context.Context, id string) (string, error) {
	out, err := c.client.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{
		DistributionId: aws.String(c.distributionID), Id: aws.String(id),
	})
	if err != nil {
		return "", fmt.Errorf("invalidation %s on distribution %s: %w", id, c.distributionID, err)
	}
	return aws.ToString(out.Invalidation.Status), nil
}
