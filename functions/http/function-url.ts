/**
 * The parts of a Lambda function URL request (payload format 2.0) and response that this handler
 * uses. Function URLs keep `rawPath` percent-encoded, lower-case header names and join repeated
 * headers with commas; `requestContext.authorizer.iam` is present only with auth type AWS_IAM.
 */
export interface FunctionUrlEvent {
  readonly version: "2.0";
  readonly routeKey?: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>>;
  readonly cookies?: readonly string[];
  readonly body?: string;
  readonly isBase64Encoded: boolean;
  readonly requestContext: {
    readonly accountId?: string;
    readonly apiId?: string;
    readonly domainName?: string;
    readonly domainPrefix?: string;
    readonly requestId: string;
    readonly routeKey?: string;
    readonly stage?: string;
    readonly time: string;
    readonly timeEpoch: number;
    readonly http: {
      readonly method: string;
      readonly path: string;
      readonly protocol: string;
      readonly sourceIp: string;
      readonly userAgent: string;
    };
    readonly authorizer?: {
      readonly iam?: {
        readonly accessKey?: string;
        readonly accountId?: string;
        readonly callerId?: string;
        readonly userArn?: string;
        readonly userId?: string;
      };
    };
  };
}

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}
